"""What Hallmark's tests and benchmarks share: app settings, servers on 127.0.0.1, a software
authenticator, a throwaway PostgreSQL and the CLI as a subprocess. Installed (editable) by ``make install``,
so neither the tests nor ``bench/`` reach into each other's folders."""
