from . import sms_gateway_test
from . import sms_inbound_reply
from . import sms_reminder_composer
from . import sms_custom_message
from . import sms_inbound_assign
