"""Events of the access rules that other parts of the registry act on."""

from django.dispatch import Signal

#: An administrator initialised a user's password (``user``): whatever the user's old credentials
#: opened, such as API tokens, must close too.
password_initialised = Signal()
