from .selectors import agencies_for_user


def current_agency(request):
    """The agency in scope and the user's other agencies, for the header and switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "agency": getattr(request, "agency", None),
        "membership": getattr(request, "membership", None),
        "my_agencies": agencies_for_user(user),
    }
