from ..tools import access_log
from . import text_messaging
from . import voice
from . import portal

access_log.install()
