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

shop-cycles-heading = Sales open now
shop-cycle-closes = { $cycle }: order by { $when }
shop-closed-heading = Not taking orders right now
shop-next-opens = Next sale, { $cycle }: opens on { $when }.
shop-no-next = No sale is planned yet. Come back soon.
shop-other-shops = See the other hubs
shop-search-label = Search for a product or a producer
shop-filter-producer = Producer
shop-filter-all-producers = All producers
shop-filter-category = Category
shop-filter-all-categories = All categories
shop-search-submit = Search
shop-filter-clear = Show everything
shop-nothing-found = No product matches your search.
shop-local-share = up to { $amount } in local currency ({ $share }%)
shop-sold-out = Sold out
shop-few-left = { $count ->
    [one] Only one left
   *[other] Only { $count } left
}
shop-variant-label = Choice
shop-quantity-label = Quantity
shop-add-submit = Add to cart
shop-all-sold-out = Sold out: no longer available in this sale.
shop-pages-label = Pages
shop-previous-page = Previous page
shop-next-page = Next page
shop-page-number = Page { $page }
shop-notice-added = Added to your cart: { $count } × { $name }.
shop-producer-shops-heading = Where to order its products now
shop-producer-no-shops = No hub offers its products right now.
shop-producer-products-heading = Its products
shop-producer-no-products = No product in its catalogue yet.
shop-producer-first-page = First page
field-error-shop-insufficient-stock = There are not enough left: choose a smaller quantity
field-error-shop-quantity-out-of-range = Enter a quantity from 1 to 1000
field-error-shop-quantity-not-whole = Enter a whole number, like 2
field-error-shop-not-offered = This product is no longer offered in this sale
field-error-shop-too-large = The amount is too large: choose a smaller quantity
field-error-shop-cycle-not-open = This sale has closed: it takes no more orders

## cart

cart-title = My cart
cart-empty = Your cart is empty.
cart-browse-shops = See the hubs open now
cart-lines-caption = Your cart at { $hub }
cart-col-product = Product
cart-col-unit-price = Unit price
cart-col-quantity = Quantity
cart-col-total = Total
cart-col-actions = Actions
cart-quantity-of = Quantity of { $name }
cart-remove = Remove
cart-zero-removes = A quantity of 0 removes the product from the cart.
cart-update = Update the cart
cart-totals-heading = Amount
cart-goods = Products
cart-total = Total including VAT
cart-local-max = Payable in local currency, at most
cart-vat-caption = VAT included, by rate
cart-vat-rate = Rate
cart-vat-base = Amount before VAT
cart-vat-amount = VAT
cart-shipping-later = You choose pickup or delivery at the next step.
cart-checkout = Continue to checkout
cart-back-to-shop = Keep shopping at { $hub }
cart-notice-updated = Your cart is up to date.
cart-notice-removed = The product was removed from your cart.

## checkout

## orders

## wallet
