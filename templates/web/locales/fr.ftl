# Comptoir's pages in French (the first language). Keys are shared with en.ftl: a test
# checks both hold the same keys, and that every key a template names is here.

site-name = Comptoir
skip-to-content = Aller au contenu
nav-label = Menu principal
nav-shops = Boutiques
nav-cart = Panier
nav-orders = Mes commandes
nav-wallet = Porte-monnaie
nav-account = Mon compte
nav-login = Se connecter
nav-logout = Se déconnecter
nav-register = Créer un compte
footer-about = Comptoir relie producteurs, comptoirs et monnaies locales.
language-label = Langue :
language-fr = Français
language-en = English
language-de = Deutsch

error-summary-title = Il y a un problème
error-prefix = Erreur :
error-request-id = Si cela continue, donnez ce numéro à l’équipe de votre comptoir :
error-home-link = Retour à l’accueil
error-400-title = La demande n’a pas pu être lue
error-400-body = Le formulaire envoyé n’a pas pu être lu. Revenez en arrière et réessayez.
error-403-title = Vous n’avez pas accès à cette page
error-403-body = Cette page n’est pas accessible avec votre compte, ou le formulaire a expiré : rechargez la page et réessayez.
error-404-title = Page introuvable
error-404-body = Vérifiez l’adresse, ou repartez de l’accueil.
error-405-title = Page introuvable
error-405-body = Cette adresse ne s’ouvre pas ainsi. Repartez de l’accueil.
error-409-title = Ce n’est pas possible maintenant
error-409-body = La demande ne peut pas être faite dans l’état actuel :
error-413-title = Envoi trop volumineux
error-413-body = Ce que vous avez envoyé dépasse la taille permise.
error-422-title = Certaines valeurs ne conviennent pas
error-422-body = Revenez en arrière et corrigez :
error-429-title = Trop de tentatives
error-429-body = Patientez quelques minutes avant de réessayer.
error-500-title = Désolé, un problème est survenu
error-500-body = Rien n’a été enregistré de votre dernière action. Réessayez dans un moment.
error-503-title = Service momentanément indisponible
error-503-body = Réessayez dans quelques minutes.

field-email = Adresse e-mail
field-password = Mot de passe
field-error-email-required = Saisissez votre adresse e-mail
field-error-password-required = Saisissez votre mot de passe
field-error-login-refused = L’adresse e-mail ou le mot de passe est incorrect
field-error-email-unconfirmed = Confirmez d’abord votre adresse e-mail : suivez le lien que nous vous avons envoyé
field-error-unknown-language = Choisissez une des langues proposées

home-title = Produits locaux, monnaie locale
home-lead = Commandez auprès des producteurs de votre région, retirez vos courses au comptoir, payez en monnaie locale, en euros ou les deux.
home-shops-heading = Comptoirs ouverts aux commandes
home-cycle-closes = { $cycle } : commandes jusqu’au { $when }
home-no-shops = Aucun comptoir ne prend de commandes en ce moment. Revenez bientôt.
home-producers-heading = Les producteurs

login-title = Se connecter
login-submit = Se connecter
login-forgot = Mot de passe oublié ?
login-no-account = Pas encore de compte ?
login-register-link = Créer un compte
login-throttled = Trop de tentatives. Réessayez dans { $minutes } minutes.

cart-count = { $count ->
    [one] { $count } article
   *[other] { $count } articles
}

## account

## shop

## cart

## checkout
checkout-title = Valider votre commande
checkout-lead = { $hub }, { $cycle } : commandes jusqu’au { $when }.
checkout-basket-heading = Votre panier
checkout-col-product = Produit
checkout-col-quantity = Quantité
checkout-col-total = Montant
checkout-basket-total = Total du panier TTC
checkout-change-basket = Modifier votre panier
checkout-shipping-heading = Retrait ou livraison
checkout-shipping-hint = Choisissez où et quand recevoir votre commande.
checkout-method-pickup = Retrait : { $name }
checkout-method-delivery = Livraison : { $name }
checkout-free = gratuit
checkout-address-heading = Adresse de livraison
checkout-address-hint = Seulement pour une livraison.
checkout-address-new = Une nouvelle adresse
checkout-address-new-hint = Pour une nouvelle adresse, remplissez les champs ci-dessous.
checkout-address-name = Nom de la personne qui reçoit la livraison
checkout-address-line1 = Adresse
checkout-address-line2 = Complément d’adresse (facultatif)
checkout-address-postcode = Code postal
checkout-address-city = Ville
checkout-address-country = Pays (facultatif)
checkout-address-country-hint = Code à deux lettres, par exemple FR ou CH. Par défaut, le pays de ce site.
checkout-address-phone = Téléphone
checkout-address-note = Instructions de livraison (facultatif)
checkout-address-note-hint = Code de la porte, étage, horaires.
checkout-address-save = Enregistrer cette adresse pour mes prochaines commandes
checkout-payment-heading = Paiement
checkout-local-label = Montant payé en { $currency } depuis votre portefeuille
checkout-local-hint = Au plus { $most } : votre portefeuille a { $available } de disponible, et cette commande peut être payée jusqu’à { $shares } en monnaie locale. Le reste est payé en { $legal }.
checkout-local-no-wallet = Vous n’avez pas de portefeuille en { $currency } : laissez 0 pour tout payer en { $legal }.
checkout-local-none = Ce comptoir n’accepte pas de monnaie locale : la commande est payée en { $legal }.
checkout-credit-label = Avoir à utiliser (facultatif)
checkout-credit-hint = Vous avez un avoir de { $credit } chez { $hub }. Il paie une partie de ce qui est dû en { $legal }.
checkout-continue = Continuer
checkout-back-to-cart = Revenir à votre panier
checkout-back-to-shop = Revenir à la boutique de { $hub }
checkout-unavailable-closed-title = Les commandes sont fermées
checkout-unavailable-closed-body = { $hub } ne prend plus de commandes pour { $cycle }.
checkout-unavailable-empty-title = Votre panier est vide
checkout-unavailable-empty-body = Ajoutez des produits de { $hub } ({ $cycle }) à votre panier avant de commander.
checkout-unavailable-cart-changed-title = Votre panier a changé
checkout-unavailable-cart-changed-body = Un produit de votre panier n’est plus proposé ou plus en stock : modifiez votre panier avant de commander.
checkout-review-title = Vérifiez votre commande avant de la passer
checkout-review-lead = { $hub }, { $cycle }.
checkout-review-payment-heading = Paiement
checkout-review-paid-local = Payé en monnaie locale
checkout-review-local-from-wallet = { $amount } depuis votre portefeuille (valeur { $value })
checkout-review-no-local = Rien
checkout-review-change = Modifier
checkout-review-credit-used = Avoir utilisé
checkout-review-due-legal = À payer au comptoir
checkout-review-due-how = { $amount }, à régler à { $hub } au retrait ou par virement
checkout-review-nothing-due = Rien
checkout-review-handover-heading = Retrait ou livraison
checkout-review-method-pickup = Retrait
checkout-review-method-delivery = Livraison
checkout-review-address = Adresse de livraison
checkout-review-before-confirm = En passant la commande, le montant en monnaie locale est réservé sur votre portefeuille jusqu’à la clôture des commandes.
checkout-review-confirm = Confirmer et passer la commande
checkout-error-shipping-method-id-unknown = Choisissez un retrait ou une livraison
checkout-error-address-id-required = Choisissez une adresse de livraison ou saisissez-en une nouvelle
checkout-error-address-id-unknown = Choisissez une de vos adresses enregistrées
checkout-error-address-name-required = Saisissez le nom de la personne qui reçoit la livraison
checkout-error-address-line1-required = Saisissez l’adresse
checkout-error-address-postcode-required = Saisissez le code postal
checkout-error-address-postcode-invalid = Saisissez un code postal valide
checkout-error-address-city-required = Saisissez la ville
checkout-error-address-phone-required = Saisissez un numéro de téléphone
checkout-error-address-phone-invalid = Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78
checkout-error-address-country-invalid = Saisissez un code de pays à deux lettres, par exemple FR
checkout-error-too-long = Ce texte est trop long
checkout-error-local-amount-above-local-max = Ce montant dépasse ce que cette commande permet de payer en monnaie locale : saisissez au plus le montant indiqué
checkout-error-local-amount-insufficient-funds = Votre portefeuille ne contient pas autant : saisissez au plus le montant disponible
checkout-error-local-amount-no-wallet = Vous n’avez pas de portefeuille dans cette monnaie : saisissez 0
checkout-error-local-amount-not-accepted = Ce comptoir n’accepte pas cette monnaie locale
checkout-error-not-a-decimal = Saisissez un montant, par exemple 12,50
checkout-error-too-many-decimals = Saisissez un montant avec au plus deux décimales
checkout-error-negative = Saisissez un montant positif ou 0
checkout-error-credit-amount-above-euro-part = Cet avoir dépasse ce qui reste à payer hors monnaie locale
checkout-error-save-address-too-many = Vous avez déjà le nombre maximum d’adresses enregistrées : décochez cette case
checkout-error-cart-out-of-stock = Un produit n’est plus en stock dans la quantité choisie : modifiez votre panier
checkout-error-cart-changed = Votre panier a changé : vérifiez à nouveau votre commande

## orders
orders-title = Mes commandes
orders-caption = Vos commandes, les plus récentes d’abord
orders-col-number = Numéro
orders-col-hub = Comptoir
orders-col-date = Date
orders-col-total = Total
orders-col-state = État
orders-none = Vous n’avez pas encore passé de commande.
orders-go-shopping = Voir les comptoirs qui prennent des commandes
orders-state-confirmed = Confirmée
orders-state-cancelled = Annulée
orders-state-fulfilled = Remise
orders-state-cart = Panier
orders-order-title = Commande { $number }
orders-placed-at = Passée chez { $hub } ({ $cycle }) le { $when }.
orders-cancelled-at = Annulée le { $when }.
orders-notice-placed = Votre commande est passée. Vous allez recevoir une confirmation par e-mail.
orders-notice-already-placed = Cette commande est déjà passée : aucune seconde commande n’a été faite.
orders-notice-cancelled = Votre commande est annulée.
orders-notice-not-cancellable = Cette commande ne peut plus être annulée : les commandes de ce cycle sont closes.
orders-lines-heading = Ce que vous avez commandé
orders-lines-caption = Produits, frais et montants de la commande
orders-col-unit-price = Prix unitaire
orders-line-weighed = Pesé : { $delivered } × { $unit }
orders-line-missing = Manquant
orders-line-substituted = Remplacé
orders-shipping-fee = Retrait ou livraison
orders-total = Total TTC
orders-vat-rate = dont TVA { $rate } %
orders-payment-heading = Paiement
orders-paid-local = Payé en monnaie locale
orders-legal-part = Part hors monnaie locale
orders-euro-none = rien à payer
orders-euro-due = à régler à { $hub } au retrait ou par virement
orders-euro-paid = payé
orders-euro-cancelled = plus dû
orders-refunded = Remboursé
orders-owed-back = À vous rendre
orders-owed-back-how = { $amount } : { $hub } vous les rembourse ou en fait un avoir
orders-handover-heading = Retrait ou livraison
orders-phone = Tél. { $phone }
orders-note = Note : { $note }
orders-receipt-link = Voir le reçu à imprimer
orders-cancel-heading = Annuler la commande
orders-cancel-until = Vous pouvez annuler cette commande jusqu’à la clôture des commandes, le { $when }.
orders-cancel-button = Annuler cette commande
orders-back-to-list = Revenir à mes commandes
orders-cancel-title = Voulez-vous vraiment annuler la commande { $number } ?
orders-cancel-lead = Commande de { $total } chez { $hub } ({ $cycle }).
orders-cancel-money-heading = Ce que devient votre argent
orders-cancel-money-local = Les { $amount } réservés sur votre portefeuille sont libérés tout de suite.
orders-cancel-money-due = Les { $amount } à régler au comptoir ne sont plus dus.
orders-cancel-money-paid = Ce que vous avez déjà payé au comptoir vous sera rendu par { $hub } (remboursement ou avoir).
orders-cancel-money-credit = L’avoir de { $amount } utilisé revient sur votre avoir chez { $hub }.
orders-cancel-money-stock = Les produits sont remis en vente.
orders-cancel-confirm = Oui, annuler la commande
orders-cancel-keep = Non, garder la commande
orders-receipt-title = Reçu de la commande { $number }
orders-receipt-seller = Vendeur
orders-receipt-order = Commande
orders-receipt-siret = SIRET : { $value }
orders-receipt-siren = SIREN : { $value }
orders-receipt-uid = IDE : { $value }
orders-receipt-vat-number = N° de TVA : { $value }
orders-receipt-number = Numéro : { $number }
orders-receipt-date = Date : { $when }
orders-receipt-cycle = Cycle : { $cycle }
orders-receipt-state = État : { $state }
orders-receipt-handover = { $what } : { $name }, { $when }
orders-receipt-back = Revenir à la commande

## wallet
