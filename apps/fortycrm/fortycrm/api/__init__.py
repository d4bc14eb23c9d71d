"""REST API v1 (R-API): serializers, viewsets, permissions, filters, throttling, urls."""
