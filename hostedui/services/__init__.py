"""Services of the hosted pages: browser sessions, the OAuth 2.0 authorization server, and
(branding, terms) how a pool's pages look."""
