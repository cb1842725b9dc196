"""Pure helpers that both the server and the signing client use (DER strings, loopback hosts, private
library reaches); they import nothing else from ``idp``."""
