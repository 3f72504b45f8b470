from django.utils.functional import SimpleLazyObject

from agencies.selectors import agencies_for_user


def current_agency(request):
    """The agency in scope, and whether the header offers to switch agency.

    On an agency's pages the membership AgencyMiddleware read already says whether the user
    has other agencies (no query here). Elsewhere, a page that names an agency (an invitation)
    reads the user's agencies, and only if the template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    my_agencies = SimpleLazyObject(lambda: agencies_for_user(user))
    if membership is not None:
        agency_switch = membership.user_has_other_agencies
    else:
        agency_switch = SimpleLazyObject(lambda: len(my_agencies) > 1)
    return {
        "agency": getattr(request, "agency", None),
        "membership": membership,
        "agency_switch": agency_switch,
        "my_agencies": my_agencies,
    }
