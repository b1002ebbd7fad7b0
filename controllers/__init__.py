from ..tools import access_log
from . import links
from . import media
from . import text_messaging
from . import voice
from . import portal

access_log.install()
