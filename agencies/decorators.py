from functools import wraps

from django.core.exceptions import PermissionDenied


def agency_role_required(*roles):
    """Allow a view under /a/<agency_slug>/ only to members holding one of `roles`.

    The agency and membership are already resolved by AgencyMiddleware (a non-member never gets
    here: they had a 404). A member with another role gets 403: they know the agency exists.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.membership is None or request.membership.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
