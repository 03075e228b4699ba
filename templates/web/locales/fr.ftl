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

shop-cycles-heading = Ventes ouvertes
shop-cycle-closes = { $cycle } : commandes jusqu’au { $when }
shop-closed-heading = Pas de commandes en ce moment
shop-next-opens = Prochaine vente, { $cycle } : ouverture le { $when }.
shop-no-next = Aucune vente n’est prévue pour l’instant. Revenez bientôt.
shop-other-shops = Voir les autres comptoirs
shop-search-label = Rechercher un produit ou un producteur
shop-filter-producer = Producteur
shop-filter-all-producers = Tous les producteurs
shop-filter-category = Catégorie
shop-filter-all-categories = Toutes les catégories
shop-search-submit = Rechercher
shop-filter-clear = Tout afficher
shop-nothing-found = Aucun produit ne correspond à votre recherche.
shop-local-share = jusqu’à { $amount } en monnaie locale ({ $share } %)
shop-sold-out = Épuisé
shop-few-left = { $count ->
    [one] Plus qu’un
   *[other] Plus que { $count }
}
shop-variant-label = Choix
shop-quantity-label = Quantité
shop-add-submit = Ajouter au panier
shop-all-sold-out = Épuisé : plus disponible dans cette vente.
shop-pages-label = Pages
shop-previous-page = Page précédente
shop-next-page = Page suivante
shop-page-number = Page { $page }
shop-notice-added = Ajouté à votre panier : { $count } × { $name }.
shop-producer-shops-heading = Où commander ses produits en ce moment
shop-producer-no-shops = Aucun comptoir ne propose ses produits en ce moment.
shop-producer-products-heading = Ses produits
shop-producer-no-products = Pas encore de produit en catalogue.
shop-producer-first-page = Première page
field-error-shop-insufficient-stock = Il n’en reste pas assez : choisissez une quantité plus petite
field-error-shop-quantity-out-of-range = Saisissez une quantité entre 1 et 1000
field-error-shop-quantity-not-whole = Saisissez un nombre entier, par exemple 2
field-error-shop-not-offered = Ce produit n’est plus proposé dans cette vente
field-error-shop-too-large = Le montant est trop élevé : choisissez une quantité plus petite
field-error-shop-cycle-not-open = Cette vente est close : elle ne prend plus de commandes

## cart

cart-title = Mon panier
cart-empty = Votre panier est vide.
cart-browse-shops = Voir les comptoirs ouverts
cart-lines-caption = Votre panier chez { $hub }
cart-col-product = Produit
cart-col-unit-price = Prix unitaire
cart-col-quantity = Quantité
cart-col-total = Total
cart-col-actions = Actions
cart-quantity-of = Quantité de { $name }
cart-remove = Retirer
cart-zero-removes = Une quantité de 0 retire le produit du panier.
cart-update = Mettre à jour le panier
cart-totals-heading = Montant
cart-goods = Produits
cart-total = Total TTC
cart-local-max = Payable en monnaie locale, au plus
cart-vat-caption = TVA comprise, par taux
cart-vat-rate = Taux
cart-vat-base = Montant HT
cart-vat-amount = TVA
cart-shipping-later = Le retrait ou la livraison se choisit à l’étape suivante.
cart-checkout = Passer commande
cart-back-to-shop = Continuer mes achats chez { $hub }
cart-notice-updated = Votre panier est à jour.
cart-notice-removed = Le produit a été retiré de votre panier.

## checkout

## orders

## wallet
