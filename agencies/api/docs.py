"""The schema and Swagger UI views. Swagger's assets come from drf-spectacular-sidecar, served
from our own static files, and the page's start-up script is a separate file (?script=), so the
site's CSP (no inline scripts or styles, no third-party hosts) holds."""

from django.conf import settings
from django.templatetags.static import static
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

# The settings live in config/settings/base.py (SPECTACULAR_SETTINGS), so the views, the
# deploy check and the tests all see the same ones.
SCHEMA_SETTINGS = settings.SPECTACULAR_SETTINGS


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 document. Public: it describes the API, holds no agency data."""

    custom_settings = SCHEMA_SETTINGS
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI. The HTML loads swagger-ui from our static files and its start-up script
    from this same URL (?script=), so the site's CSP (no inline scripts) holds."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []
    template_name = "agencies/api_keys/swagger_ui.html"
    title = "Rapport API"

    def _swagger_ui_resource(self, filename):
        return static(f"drf_spectacular_sidecar/swagger-ui-dist/{filename}")

    def _swagger_ui_favicon(self):
        return static("drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png")
