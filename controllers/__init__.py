from ..tools import access_log
from . import text_messaging

access_log.install()
