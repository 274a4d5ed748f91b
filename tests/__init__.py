import warnings

# oslo.service (imported by oslo.messaging) warns about eventlet at import time;
# nothing here uses eventlet.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
