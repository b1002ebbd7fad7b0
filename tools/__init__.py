from . import keywords, segments
