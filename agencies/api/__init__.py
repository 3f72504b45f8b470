"""The REST API for integrators (/api/v1/). One tenancy mechanism: every endpoint is a subclass
of `viewsets.AgencyScopedViewSet`, which resolves the agency from the API key (or the signed-in
member's session) and keeps `agency_scope` open for the whole request, rendering included.

Kept free of imports so that settings can name the classes in its submodules."""
