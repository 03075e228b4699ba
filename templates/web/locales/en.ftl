# Comptoir's pages in English (the second language). Same keys as fr.ftl.

site-name = Comptoir
skip-to-content = Skip to main content
nav-label = Main menu
nav-shops = Shops
nav-cart = Basket
nav-orders = My orders
nav-wallet = Wallet
nav-account = My account
nav-login = Sign in
nav-logout = Sign out
nav-register = Create an account
footer-about = Comptoir links producers, food hubs and local currencies.
language-label = Language:
language-fr = Français
language-en = English
language-de = Deutsch

error-summary-title = There is a problem
error-prefix = Error:
error-request-id = If this keeps happening, give this number to your hub’s team:
error-home-link = Back to the home page
error-400-title = The request could not be read
error-400-body = The form sent could not be read. Go back and try again.
error-403-title = You cannot see this page
error-403-body = Your account cannot open this page, or the form expired: reload the page and try again.
error-404-title = Page not found
error-404-body = Check the address, or start again from the home page.
error-405-title = Page not found
error-405-body = This address does not open this way. Start again from the home page.
error-409-title = This cannot be done now
error-409-body = The request cannot be done as things stand:
error-413-title = Too large
error-413-body = What you sent is larger than allowed.
error-422-title = Some values are not right
error-422-body = Go back and correct:
error-429-title = Too many attempts
error-429-body = Wait a few minutes before trying again.
error-500-title = Sorry, something went wrong
error-500-body = Nothing of your last action was saved. Try again in a moment.
error-503-title = Service unavailable for now
error-503-body = Try again in a few minutes.

field-email = Email address
field-password = Password
field-error-email-required = Enter your email address
field-error-password-required = Enter your password
field-error-login-refused = The email address or the password is wrong
field-error-email-unconfirmed = Confirm your email address first: follow the link we sent you
field-error-unknown-language = Choose one of the languages offered

home-title = Local food, local currency
home-lead = Order from producers near you, collect at your food hub, pay in local currency, in your legal currency, or both.
home-shops-heading = Hubs taking orders
home-cycle-closes = { $cycle }: orders until { $when }
home-no-shops = No hub is taking orders right now. Come back soon.
home-producers-heading = Producers

login-title = Sign in
login-submit = Sign in
login-forgot = Forgot your password?
login-no-account = No account yet?
login-register-link = Create an account
login-throttled = Too many attempts. Try again in { $minutes } minutes.

cart-count = { $count ->
    [one] { $count } item
   *[other] { $count } items
}

## account

## shop

## cart

## checkout

## orders

## wallet
