from . import test_dispatcher
from . import test_foundation
from . import test_gateway_model
