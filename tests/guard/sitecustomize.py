"Start-up hook of the test guard (outside_guard.py): active where MDMOE_GUARD_ROOT names the repository root."
import os

if os.environ.get('MDMOE_GUARD_ROOT'):
    from outside_guard import install
    install(os.environ['MDMOE_GUARD_ROOT'])
