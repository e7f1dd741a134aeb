"""Privacy-preserving record linkage: count distinct victims across organisations without sharing names.

Organisations normalise (``normalise``) and encode (``encoding``) the identifying fields of consented
cases under a secret they share and the hub does not have, and send signed contribution packages
(``contribution``); the hub verifies and stores them, links the encodings with Fellegi-Sunter scoring
(``scoring``, ``hub``) and clusters them into persons (``clustering``).
"""
