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

account-notice-verified = Votre adresse e-mail est confirmée. Vous pouvez vous connecter.
account-notice-password-reset = Votre mot de passe est changé et vous êtes déconnecté de partout. Connectez-vous avec le nouveau.
account-notice-password-changed = Votre mot de passe est changé. Vos autres appareils sont déconnectés ; vous restez connecté ici.
account-error-display-name-invalid = Saisissez votre nom, en 100 caractères au plus
account-error-email-invalid-email = Saisissez une adresse e-mail valide, comme nom@exemple.fr
account-error-password-weak-password = Choisissez un mot de passe de 10 à 128 caractères, différent de votre adresse e-mail
account-error-new-password-weak-password = Choisissez un mot de passe de 10 à 128 caractères, différent de votre adresse e-mail
account-error-locale-unknown-language = Choisissez une des langues proposées
account-error-current-password-required = Saisissez votre mot de passe actuel
account-error-current-password-wrong-password = Ce n’est pas votre mot de passe actuel
account-field-name = Votre nom
account-field-name-hint = Le nom que verront les comptoirs où vous commandez.
account-field-email-hint = Nous y enverrons un lien pour confirmer l’adresse.
account-password-rule = De 10 à 128 caractères, différent de votre adresse e-mail. Une phrase de quelques mots est facile à retenir.
account-field-language = Langue
account-field-language-hint = La langue des pages et des e-mails que nous vous envoyons.
account-field-new-password = Nouveau mot de passe
account-field-current-password = Mot de passe actuel
account-register-title = Créer un compte
account-register-lead = Avec un compte, vous commandez auprès des comptoirs et vous payez avec votre porte-monnaie.
account-register-submit = Créer mon compte
account-register-have-account = Vous avez déjà un compte ?
account-register-login-link = Se connecter
account-sent-title = Consultez votre messagerie
account-register-sent-body = Si l’adresse peut être utilisée, nous venons d’y envoyer un e-mail. Suivez son lien dans les { $hours } heures pour confirmer votre adresse, puis connectez-vous.
account-sent-spam = Rien reçu après quelques minutes ? Regardez dans les courriers indésirables.
account-register-sent-again = Une erreur dans l’adresse ?
account-register-sent-again-link = Recommencer l’inscription
account-verify-title = Confirmer votre adresse e-mail
account-verify-body = Il reste une étape : confirmez que cette adresse e-mail est bien la vôtre.
account-verify-submit = Confirmer mon adresse
account-link-invalid-title = Ce lien ne fonctionne plus
account-link-invalid-body = Le lien est incomplet, a déjà servi ou a expiré.
account-link-invalid-verify-how = Pour recevoir un nouveau lien, inscrivez-vous à nouveau avec la même adresse e-mail.
account-link-invalid-verify-link = S’inscrire à nouveau
account-link-invalid-verify-done = Votre adresse est peut-être déjà confirmée : essayez de vous connecter.
account-link-invalid-reset-how = Demandez un nouveau lien : il est valable une heure et ne sert qu’une fois.
account-link-invalid-reset-link = Demander un nouveau lien
account-forgot-title = Mot de passe oublié
account-forgot-lead = Saisissez l’adresse e-mail de votre compte : nous y enverrons un lien pour choisir un nouveau mot de passe.
account-forgot-submit = M’envoyer un lien
account-forgot-sent-body = Si un compte utilise cette adresse, nous venons d’y envoyer un lien pour choisir un nouveau mot de passe. Il est valable { $minutes } minutes.
account-forgot-back-to-login = Retour à la connexion
account-reset-title = Choisir un nouveau mot de passe
account-reset-lead = Vous serez ensuite déconnecté de tous vos appareils : connectez-vous avec ce nouveau mot de passe.
account-reset-submit = Enregistrer le mot de passe
account-title = Mon compte
account-language-how = Pour changer de langue, utilisez le choix de langue en bas de page.
account-security-heading = Sécurité
account-password-link = Changer mon mot de passe
account-money-heading = Argent et commandes
account-wallet-link = Mon porte-monnaie
account-orders-link = Mes commandes
account-password-title = Changer mon mot de passe
account-password-lead = Vos autres appareils seront déconnectés ; vous resterez connecté sur celui-ci.
account-password-submit = Changer mon mot de passe
account-back = Retour à mon compte

## shop

## cart

## checkout

## orders

## wallet

wallet-title = Mon porte-monnaie
wallet-notice-opened = Votre porte-monnaie est ouvert. Pour l’approvisionner, demandez une recharge.
wallet-balances-heading = Mes soldes
wallet-account-in = Porte-monnaie en { $currency }
wallet-set-aside = Dont mis de côté pour des commandes : { $amount }
wallet-available = Disponible : { $amount }
wallet-status-frozen = Gelé
wallet-status-closed = Fermé
wallet-see-history = Voir l’historique en { $currency }
wallet-no-accounts = Vous n’avez pas encore de porte-monnaie.
wallet-open-why = Vous n’avez pas de porte-monnaie en { $currency }, la monnaie locale : ouvrez-le pour payer vos commandes et les professionnels qui l’acceptent.
wallet-open-submit = Ouvrir mon porte-monnaie en { $currency }
wallet-topup-link = Recharger mon porte-monnaie
wallet-holds-heading = Mis de côté pour des commandes
wallet-holds-lead = Cet argent est réservé pour vos commandes en cours : il est débité quand la commande est préparée, ou rendu si elle est annulée.
wallet-holds-for = Pour
wallet-holds-until = Réservé jusqu’au
wallet-hold-order = Commande nº { $number }
wallet-no-holds = Rien n’est mis de côté en ce moment.
wallet-amount = Montant
wallet-history-heading = Historique en { $currency }
wallet-csv-link = Télécharger l’historique en { $currency } (CSV)
wallet-date = Date
wallet-what = Opération
wallet-pending = réservé
wallet-in = +{ $amount }
wallet-out = −{ $amount }
wallet-no-history = Aucune opération pour l’instant.
wallet-pages-label = Pages de l’historique
wallet-latest-page = Opérations les plus récentes
wallet-older-page = Opérations plus anciennes
wallet-entry-issue = Recharge
wallet-entry-pay = Paiement
wallet-entry-hold = Mise de côté pour une commande
wallet-entry-post = Commande payée
wallet-entry-void = Mise de côté rendue
wallet-entry-reverse = Annulation d’une opération
wallet-entry-reconvert = Reconversion en euros
wallet-entry-reconversion-paid = Reconversion versée
wallet-entry-receipt = Encaissement
wallet-entry-sale = Vente
wallet-entry-settle = Règlement
wallet-entry-vat = TVA
wallet-back = Retour à mon porte-monnaie
wallet-topup-title = Recharger mon porte-monnaie
wallet-topup-none = Aucune monnaie locale n’est proposée ici.
wallet-topup-lead = Demandez de la monnaie locale à son association : vous payez la même valeur en { $legal }, par virement ou en espèces dans un bureau de change. Votre porte-monnaie est crédité dès que l’association a reçu le paiement.
wallet-topup-currency = Monnaie
wallet-topup-amount = Montant
wallet-topup-amount-in = Montant en { $currency }
wallet-topup-amount-hint = Par exemple 20 ou 20,50.
wallet-topup-method = Comment payez-vous ?
wallet-topup-method-bank-transfer = Par virement bancaire
wallet-topup-method-cash = En espèces, dans un bureau de change
wallet-topup-submit = Demander cette recharge
wallet-topup-request-title = Demande de recharge nº { $number }
wallet-topup-state-pending = En attente du paiement
wallet-topup-state-approved = Créditée sur votre porte-monnaie
wallet-topup-state-refused = Refusée
wallet-topup-state-cancelled = Annulée
wallet-topup-asked = Demandé
wallet-topup-to-pay = À payer
wallet-topup-reference = Référence
wallet-topup-asked-on = Demandée le
wallet-topup-how-heading = Comment payer
wallet-topup-how-cash = Rendez-vous dans un bureau de change avec { $amount } et donnez la référence ci-dessus.
wallet-topup-how-transfer = Faites un virement avec ces informations. Indiquez bien la référence : c’est elle qui relie votre virement à votre demande.
wallet-topup-creditor = Bénéficiaire
wallet-topup-iban = IBAN
wallet-topup-bic = BIC
wallet-topup-qr-how = Ou scannez ce code avec l’application de votre banque : il remplit le virement pour vous.
wallet-topup-qr-alt = Code QR du virement, à scanner avec l’application de votre banque
wallet-topup-how-no-account = L’association n’a pas encore indiqué son compte bancaire : contactez-la, ou payez en espèces dans un bureau de change avec la référence ci-dessus.
wallet-topup-after = Nous vous enverrons un e-mail quand votre porte-monnaie sera crédité.
wallet-topup-refused-reason = Motif du refus :
wallet-pay-title = Payer { $asker }
wallet-pay-asker = Bénéficiaire
wallet-pay-for = Pour
wallet-pay-open-amount = Montant libre, en { $currency }
wallet-pay-until = Valable jusqu’au
wallet-pay-available = Disponible dans votre porte-monnaie
wallet-pay-state-open = Cette demande peut être payée.
wallet-pay-state-paid = Cette demande est déjà payée : il n’y a plus rien à payer.
wallet-pay-state-cancelled = Le professionnel a annulé cette demande : demandez-lui en une nouvelle.
wallet-pay-state-expired = Cette demande a expiré : demandez-en une nouvelle au professionnel.
wallet-pay-no-wallet = Vous n’avez pas de porte-monnaie en { $currency } : ouvrez-le et rechargez-le d’abord.
wallet-pay-to-wallet = Aller à mon porte-monnaie
wallet-pay-amount = Montant à payer en { $currency }
wallet-pay-submit = Payer { $amount }
wallet-pay-submit-open = Payer ce montant
wallet-paid-title = Paiement effectué
wallet-paid-lead = Vous avez payé { $amount } à { $asker }.
wallet-paid-entry = Numéro d’opération
wallet-error-amount-required = Saisissez un montant
wallet-error-amount-not-a-decimal = Saisissez un montant en chiffres, comme 20 ou 20,50
wallet-error-amount-too-many-decimals = Saisissez un montant avec au plus deux décimales
wallet-error-amount-negative = Saisissez un montant supérieur à zéro
wallet-error-amount-not-positive = Saisissez un montant supérieur à zéro
wallet-error-amount-overflow = Ce montant est trop grand
wallet-error-amount-not-exact = Ce montant ne se convertit pas exactement : choisissez un montant rond
wallet-error-currency-currency-mismatch = Choisissez une des monnaies proposées
wallet-error-currency-unknown-currency = Choisissez une des monnaies proposées
wallet-error-method-required = Choisissez comment vous payez
wallet-error-method-no-bank-account = L’association n’a pas encore indiqué de compte bancaire : choisissez de payer en espèces
wallet-error-pay-insufficient-funds = Votre porte-monnaie ne contient pas assez : rechargez-le d’abord
