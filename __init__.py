from . import controllers
from . import models
from . import wizard
from .models.sms_api import patch_sms_api
