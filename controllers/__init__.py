from . import text_messaging
