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

account-notice-verified = Your email address is confirmed. You can sign in.
account-notice-password-reset = Your password has been changed and you are signed out everywhere. Sign in with the new one.
account-notice-password-changed = Your password has been changed. Your other devices are signed out; you stay signed in here.
account-error-display-name-invalid = Enter your name, in 100 characters or fewer
account-error-email-invalid-email = Enter an email address in the correct format, like name@example.org
account-error-password-weak-password = Choose a password of 10 to 128 characters that is not your email address
account-error-new-password-weak-password = Choose a password of 10 to 128 characters that is not your email address
account-error-locale-unknown-language = Choose one of the languages offered
account-error-current-password-required = Enter your current password
account-error-current-password-wrong-password = This is not your current password
account-field-name = Your name
account-field-name-hint = The name the hubs you order from will see.
account-field-email-hint = We will send a link there to confirm the address.
account-password-rule = 10 to 128 characters, not your email address. A sentence of a few words is easy to remember.
account-field-language = Language
account-field-language-hint = The language of the pages and of the emails we send you.
account-field-new-password = New password
account-field-current-password = Current password
account-register-title = Create an account
account-register-lead = With an account you order from the hubs and pay from your wallet.
account-register-submit = Create my account
account-register-have-account = Already have an account?
account-register-login-link = Sign in
account-sent-title = Check your email
account-register-sent-body = If the address can be used, we have just sent an email to it. Follow its link within { $hours } hours to confirm your address, then sign in.
account-sent-spam = Nothing after a few minutes? Look in your spam folder.
account-register-sent-again = A mistake in the address?
account-register-sent-again-link = Start again
account-verify-title = Confirm your email address
account-verify-body = One step left: confirm that this email address is yours.
account-verify-submit = Confirm my address
account-link-invalid-title = This link no longer works
account-link-invalid-body = The link is incomplete, has already been used or has expired.
account-link-invalid-verify-how = To get a new link, register again with the same email address.
account-link-invalid-verify-link = Register again
account-link-invalid-verify-done = Your address may already be confirmed: try signing in.
account-link-invalid-reset-how = Ask for a new link: it works for one hour, once.
account-link-invalid-reset-link = Ask for a new link
account-forgot-title = Forgotten password
account-forgot-lead = Enter your account’s email address: we will send a link there to choose a new password.
account-forgot-submit = Send me a link
account-forgot-sent-body = If an account uses this address, we have just sent it a link to choose a new password. It works for { $minutes } minutes.
account-forgot-back-to-login = Back to signing in
account-reset-title = Choose a new password
account-reset-lead = You will then be signed out of all your devices: sign in with this new password.
account-reset-submit = Save the password
account-title = My account
account-language-how = To change the language, use the language choice at the bottom of the page.
account-security-heading = Security
account-password-link = Change my password
account-money-heading = Money and orders
account-wallet-link = My wallet
account-orders-link = My orders
account-password-title = Change my password
account-password-lead = Your other devices will be signed out; you will stay signed in on this one.
account-password-submit = Change my password
account-back = Back to my account

## shop

## cart

## checkout

## orders

## wallet

wallet-title = My wallet
wallet-notice-opened = Your wallet is open. To put money in it, ask for a top-up.
wallet-balances-heading = My balances
wallet-account-in = Wallet in { $currency }
wallet-set-aside = Set aside for orders: { $amount }
wallet-available = Available: { $amount }
wallet-status-frozen = Frozen
wallet-status-closed = Closed
wallet-see-history = See the history in { $currency }
wallet-no-accounts = You have no wallet yet.
wallet-open-why = You have no wallet in { $currency }, the local currency: open it to pay your orders and the businesses that accept it.
wallet-open-submit = Open my { $currency } wallet
wallet-topup-link = Top up my wallet
wallet-holds-heading = Set aside for orders
wallet-holds-lead = This money is kept for your current orders: it is taken when the order is prepared, or given back if it is cancelled.
wallet-holds-for = For
wallet-holds-until = Kept until
wallet-hold-order = Order no. { $number }
wallet-no-holds = Nothing is set aside at the moment.
wallet-amount = Amount
wallet-history-heading = History in { $currency }
wallet-csv-link = Download the history in { $currency } (CSV)
wallet-date = Date
wallet-what = Transaction
wallet-pending = set aside
wallet-in = +{ $amount }
wallet-out = −{ $amount }
wallet-no-history = No transactions yet.
wallet-pages-label = History pages
wallet-latest-page = Latest transactions
wallet-older-page = Older transactions
wallet-entry-issue = Top-up
wallet-entry-pay = Payment
wallet-entry-hold = Set aside for an order
wallet-entry-post = Order paid
wallet-entry-void = Set-aside money given back
wallet-entry-reverse = Transaction reversed
wallet-entry-reconvert = Exchanged back
wallet-entry-reconversion-paid = Exchange paid out
wallet-entry-receipt = Receipt
wallet-entry-sale = Sale
wallet-entry-settle = Settlement
wallet-entry-vat = VAT
wallet-back = Back to my wallet
wallet-topup-title = Top up my wallet
wallet-topup-none = No local currency is offered here.
wallet-topup-lead = Ask the currency’s association for local currency: you pay the same value in { $legal }, by bank transfer or in cash at an exchange point. Your wallet is credited once the association has received the payment.
wallet-topup-currency = Currency
wallet-topup-amount = Amount
wallet-topup-amount-in = Amount in { $currency }
wallet-topup-amount-hint = For example 20 or 20.50.
wallet-topup-method = How will you pay?
wallet-topup-method-bank-transfer = By bank transfer
wallet-topup-method-cash = In cash, at an exchange point
wallet-topup-submit = Ask for this top-up
wallet-topup-request-title = Top-up request no. { $number }
wallet-topup-state-pending = Waiting for your payment
wallet-topup-state-approved = Credited to your wallet
wallet-topup-state-refused = Refused
wallet-topup-state-cancelled = Cancelled
wallet-topup-asked = Asked for
wallet-topup-to-pay = To pay
wallet-topup-reference = Reference
wallet-topup-asked-on = Asked on
wallet-topup-how-heading = How to pay
wallet-topup-how-cash = Go to an exchange point with { $amount } and give the reference above.
wallet-topup-how-transfer = Make a bank transfer with these details. Do write the reference: it links your transfer to your request.
wallet-topup-creditor = Pay to
wallet-topup-iban = IBAN
wallet-topup-bic = BIC
wallet-topup-qr-how = Or scan this code with your banking app: it fills in the transfer for you.
wallet-topup-qr-alt = QR code of the transfer, to scan with your banking app
wallet-topup-how-no-account = The association has not given its bank account yet: contact it, or pay in cash at an exchange point with the reference above.
wallet-topup-after = We will email you once your wallet is credited.
wallet-topup-refused-reason = Why it was refused:
wallet-pay-title = Pay { $asker }
wallet-pay-asker = Pay to
wallet-pay-for = For
wallet-pay-open-amount = Any amount, in { $currency }
wallet-pay-until = Valid until
wallet-pay-available = Available in your wallet
wallet-pay-state-open = This request can be paid.
wallet-pay-state-paid = This request is paid already: there is nothing more to pay.
wallet-pay-state-cancelled = The business cancelled this request: ask it for a new one.
wallet-pay-state-expired = This request has expired: ask the business for a new one.
wallet-pay-no-wallet = You have no wallet in { $currency }: open it and top it up first.
wallet-pay-to-wallet = Go to my wallet
wallet-pay-amount = Amount to pay in { $currency }
wallet-pay-submit = Pay { $amount }
wallet-pay-submit-open = Pay this amount
wallet-paid-title = Payment made
wallet-paid-lead = You paid { $amount } to { $asker }.
wallet-paid-entry = Transaction number
wallet-error-amount-required = Enter an amount
wallet-error-amount-not-a-decimal = Enter an amount in figures, like 20 or 20.50
wallet-error-amount-too-many-decimals = Enter an amount with at most two decimals
wallet-error-amount-negative = Enter an amount greater than zero
wallet-error-amount-not-positive = Enter an amount greater than zero
wallet-error-amount-overflow = This amount is too large
wallet-error-amount-not-exact = This amount does not convert exactly: choose a round amount
wallet-error-currency-currency-mismatch = Choose one of the currencies offered
wallet-error-currency-unknown-currency = Choose one of the currencies offered
wallet-error-method-required = Choose how you will pay
wallet-error-method-no-bank-account = The association has not given a bank account yet: choose to pay in cash
wallet-error-pay-insufficient-funds = Your wallet does not hold enough: top it up first
