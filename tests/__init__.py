from . import test_dispatcher
from . import test_foundation
from . import test_gateway_model
from . import test_inbound
from . import test_partner
from . import test_webhooks
