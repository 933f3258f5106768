"""Atelier customer portal: /<database>/portal/...

Accounts are `web.user` records (module web_user) of one shop each
(`web.user.company`, the shop of the customer's `party`); the same email
may have an account at several shops of one database. Staff invite a
customer with the "Invite to Portal" button of the party and service order
forms: a recorded `portal.email` is queued after commit with a link to
choose a password. Customers sign in by password or by a one-time link
(15 min); a password reset works the same way. Tokens are stored hashed
(`portal.token`), sessions are upstream `web.user.session` rows in a
Secure (https), HttpOnly, SameSite=Lax cookie; every POST form carries a
CSRF token.

Pages (server-rendered Genshi, French by default, English available):
home, jobs, quotes, invoices, documents, messages, profile, data export.
Every object is looked up among the signed-in customer's party *and* shop
(`access.py`); anything else answers the same 404 page.

Extending the portal (esign, verticals)
---------------------------------------
- `portal.session` holds the helpers other modules use (stable names):
  `current_user(request, pool)`, `require_user(request, pool)`,
  `check_csrf(request, session)`, `csrf_token(session)`,
  `render_page(request, pool, user, title, content, ...)`,
  `render_fragment(template, **values)`, `not_found(request)`;
  `portal.pages.page_context(request, user)` (the values of every
  fragment) and `portal.routing.portal_route` / `current_request()`.
- The quote page `/<db>/portal/quotes/<sale id>` is built by
  `pages.QuotePage`; when the module `esign` is activated and
  `sale.sale` has a classmethod `portal_sign_form(sale, web_user)`, its
  result (a Genshi stream/Markup, or a dict with 'title' and 'content') is
  rendered as an extra section of the page. Other modules may append
  sections through `QuotePage.extra_sections`.
- `service.order.get_portal_sections(language)` returns the job page's
  vertical sections as a list of (title, [(label, value), ...]); repair
  (device) and coating (powder, parts) extend it here through
  `extras_depend`.
"""
# Routes are global to the server: importing them registers them on
# trytond.wsgi.app.
from . import auth, pages, files  # noqa: F401,E402
