from ..tools import access_log
from . import links
from . import media
from . import text_messaging

access_log.install()
