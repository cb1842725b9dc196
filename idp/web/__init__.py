"""Web glue: error pages and JSON errors, browser sessions, security headers, request parsing, redirects,
step-up touches."""
