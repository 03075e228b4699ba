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
