from ..tools import access_log
from . import text_messaging
from . import voice

access_log.install()
