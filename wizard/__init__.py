from . import sms_gateway_test
