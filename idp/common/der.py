"""DER encodings the stack needs, through pyasn1 (no hand-rolled ASN.1)."""

import functools

from pyasn1.codec.der import decoder, encoder
from pyasn1.type import char, univ


def utf8_string(text: str) -> bytes:
    """DER UTF8String."""
    return bytes(encoder.encode(char.UTF8String(text)))


def octet_string(data: bytes) -> bytes:
    """DER OCTET STRING."""
    return bytes(encoder.encode(univ.OctetString(data)))


@functools.lru_cache(maxsize=256)
def decode_utf8_string(der: bytes) -> str:
    """Inverse of :func:`utf8_string` (remembered: a batch of bundles shares one certificate)."""
    value, rest = decoder.decode(der, asn1Spec=char.UTF8String())
    if rest:
        raise ValueError("trailing data after UTF8String")
    return str(value)
