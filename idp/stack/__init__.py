"""``hallmark stack``: a complete private Sigstore — the real Fulcio, TesseraCT, Rekor v2 and a
timestamp authority — configured for this Hallmark, its keys created once in the instance folder.

The servers are the pinned Go programs ``make sigstore-bins`` builds (``tools/sigstore.versions``);
this package only writes their keys and configuration, starts them and says how they are doing.
"""
