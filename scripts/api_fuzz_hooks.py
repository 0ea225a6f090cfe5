"""Schemathesis hooks of scripts/api-fuzz.sh: the uploads are raw bytes (a GeoTIFF, a PDF),
which schemathesis sends as it sends application/octet-stream."""

import schemathesis

for media_type in ("image/tiff", "application/pdf"):
    schemathesis.serializer.alias(media_type, "application/octet-stream")
