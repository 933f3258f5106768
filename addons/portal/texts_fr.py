"""French texts of the portal's pages and emails, keyed by their English
source (see texts.py). Typography: narrow no-break space before « : ; ! ? »
is left to plain spaces, as on the tracking page."""

FR = {
    # Sign-in, links and passwords
    'Sign in to your customer area': "Connexion à votre espace client",
    'Sign in with your password': "Se connecter avec son mot de passe",
    'Email address': "Adresse e-mail",
    'Password': "Mot de passe",
    'Sign in': "Se connecter",
    'Forgot your password?': "Mot de passe oublié ?",
    'Or receive a sign-in link': "Ou recevoir un lien de connexion",
    'We email you a link valid for 15 minutes that signs you in once, '
    'without a password.': (
        "Nous vous envoyons par e-mail un lien valable 15 minutes qui vous "
        "connecte une fois, sans mot de passe."),
    'Email me a sign-in link': "Recevoir un lien de connexion",
    'If an account exists for %(email)s, a sign-in link has been sent to '
    'it. It is valid for 15 minutes and works once.': (
        "Si un compte existe pour %(email)s, un lien de connexion vient d'y "
        "être envoyé. Il est valable 15 minutes et ne sert qu'une fois."),
    'If an account exists for %(email)s, a link to choose a new password '
    'has been sent to it.': (
        "Si un compte existe pour %(email)s, un lien pour choisir un "
        "nouveau mot de passe vient d'y être envoyé."),
    'Check your inbox': "Consultez votre messagerie",
    'Nothing received? Check your spam folder, or ask the shop.': (
        "Rien reçu ? Regardez dans vos courriers indésirables, ou "
        "demandez à la boutique."),
    'Link no longer valid': "Lien plus valable",
    'This link does not exist, has expired or was already used.': (
        "Ce lien n'existe pas, a expiré ou a déjà servi."),
    'Ask for a new link': "Demander un nouveau lien",
    'Back to sign-in': "Retour à la connexion",
    'Sign in again': "Se reconnecter",
    'Sign in to your customer area of %(shop)s.': (
        "Connectez-vous à votre espace client de %(shop)s."),
    'Welcome to your customer area': "Bienvenue dans votre espace client",
    'Choose the password of your customer area of %(shop)s.': (
        "Choisissez le mot de passe de votre espace client de %(shop)s."),
    'Choose a new password': "Choisir un nouveau mot de passe",
    'Choose the new password of your customer area of %(shop)s.': (
        "Choisissez le nouveau mot de passe de votre espace client de "
        "%(shop)s."),
    'New password': "Nouveau mot de passe",
    'At least %(length)s characters.': "Au moins %(length)s caractères.",
    'Confirm the password': "Confirmez le mot de passe",
    'Save my password and sign in': (
        "Enregistrer mon mot de passe et me connecter"),
    'The password must have at least %(length)s characters.': (
        "Le mot de passe doit compter au moins %(length)s caractères."),
    'This password is too long.': "Ce mot de passe est trop long.",
    'The two passwords are different.': (
        "Les deux mots de passe sont différents."),
    'This password is not accepted (too common, or your email address). '
    'Choose another one.': (
        "Ce mot de passe n'est pas accepté (trop courant, ou votre adresse "
        "e-mail). Choisissez-en un autre."),
    'Enter the email address of your customer area: we email you a link to '
    'choose a new password.': (
        "Saisissez l'adresse e-mail de votre espace client : nous vous "
        "envoyons un lien pour choisir un nouveau mot de passe."),
    'Email me a link': "Recevoir un lien",
    'Enter your email address and your password.': (
        "Saisissez votre adresse e-mail et votre mot de passe."),
    'Enter your email address.': "Saisissez votre adresse e-mail.",
    'Wrong email address or password.': (
        "Adresse e-mail ou mot de passe incorrect."),
    'Too many attempts. Wait a few minutes, or ask for a sign-in link by '
    'email.': (
        "Trop de tentatives. Patientez quelques minutes, ou demandez un lien "
        "de connexion par e-mail."),
    'Too many requests': "Trop de demandes",
    'Several links were already asked for this address. Wait a few minutes '
    'before asking again, and check your spam folder.': (
        "Plusieurs liens ont déjà été demandés pour cette adresse. "
        "Patientez quelques minutes avant de redemander, et regardez dans "
        "vos courriers indésirables."),
    'Signed out': "Déconnecté",
    'You are signed out.': "Vous êtes déconnecté.",
    'You are signed out on every device.': (
        "Vous êtes déconnecté sur tous vos appareils."),

    # Layout and navigation
    'Skip to content': "Aller au contenu",
    'Customer area': "Espace client",
    'Customer area of %(shop)s': "Espace client de %(shop)s",
    'Main menu': "Menu principal",
    'Sign out': "Se déconnecter",
    'Home': "Accueil",
    'My jobs': "Mes travaux",
    'Quotes': "Devis",
    'Invoices': "Factures",
    'Documents': "Documents",
    'Messages': "Messages",
    'My account': "Mon compte",
    'Page not found': "Page introuvable",
    'This page does not exist or is not yours. Go back to your customer '
    'area.': (
        "Cette page n'existe pas ou ne vous concerne pas. Revenez à votre "
        "espace client."),
    'Form refused': "Formulaire refusé",
    'This form expired or did not come from your customer area: nothing '
    'was changed. Go back, reload the page and try again.': (
        "Ce formulaire a expiré ou ne vient pas de votre espace client : "
        "rien n'a été modifié. Revenez en arrière, rechargez la page et "
        "réessayez."),

    # Home
    'My customer area': "Mon espace client",
    'Hello %(name)s,': "Bonjour %(name)s,",
    'Work in progress': "Travaux en cours",
    'No work in progress.': "Aucun travail en cours.",
    'All my jobs': "Tous mes travaux",
    'Quotes waiting for your signature': "Devis à signer",
    'No quote is waiting for you.': "Aucun devis ne vous attend.",
    'Amounts due': "Montants à régler",
    'due': "à régler",
    'Pay %(amount)s online': "Payer %(amount)s en ligne",
    'Pay at the shop.': "À régler à la boutique.",
    'Nothing to pay. Thank you!': "Rien à régler. Merci !",
    'Recent messages': "Derniers messages",
    'No message yet.': "Aucun message pour l'instant.",
    'Recent documents': "Derniers documents",
    'No document yet.': "Aucun document pour l'instant.",

    # Jobs
    'Job %(number)s': "Commande n° %(number)s",
    'Job': "Commande",
    'Received on %(date)s': "Reçue le %(date)s",
    'Promised for %(date)s': "Promise pour le %(date)s",
    'You have no job with us yet.': (
        "Vous n'avez pas encore de commande chez nous."),
    'Pages': "Pages",
    'Newer jobs': "Commandes plus récentes",
    'Older jobs': "Commandes plus anciennes",
    'Summary': "Résumé",
    'Current stage:': "Étape actuelle :",
    'Received on': "Reçue le",
    'Promised for': "Promise pour le",
    'Left to pay': "Reste à payer",
    'Quote': "Devis",
    'Description': "Description",
    'History': "Historique",
    'Photos': "Photos",
    'Photo %(name)s': "Photo %(name)s",
    'Send a document or a photo': "Envoyer un document ou une photo",
    'PDF, JPEG, PNG or WebP, up to %(size)s MB.': (
        "PDF, JPEG, PNG ou WebP, jusqu'à %(size)s Mo."),
    'Send the file': "Envoyer le fichier",
    'No message yet. Ask the shop a question below.': (
        "Aucun message pour l'instant. Posez votre question à la boutique "
        "ci-dessous."),
    'Your message to the shop': "Votre message à la boutique",
    'Send the message': "Envoyer le message",
    'You': "Vous",
    'Your message was sent to the shop.': (
        "Votre message a été envoyé à la boutique."),
    'Your file was sent to the shop.': (
        "Votre fichier a été envoyé à la boutique."),
    'Write your message before sending it.': (
        "Écrivez votre message avant de l'envoyer."),
    'Your message is too long (%(max)s characters at most).': (
        "Votre message est trop long (%(max)s caractères au plus)."),
    'This file is too large: %(size)s MB at most.': (
        "Ce fichier est trop lourd : %(size)s Mo au plus."),
    'This type of file is not accepted: send a PDF, JPEG, PNG or WebP '
    'file.': (
        "Ce type de fichier n'est pas accepté : envoyez un fichier PDF, "
        "JPEG, PNG ou WebP."),
    'Choose a file to send.': "Choisissez un fichier à envoyer.",
    'Sent by the customer from the portal.': (
        "Envoyé par le client depuis l'espace client."),
    'Service': "Service",
    'Repair': "Réparation",
    'Coating': "Thermolaquage",
    'Tailoring': "Couture",
    'Project': "Projet",
    'Device': "Appareil",
    'Reported fault': "Panne signalée",
    'Accessories left': "Accessoires laissés",
    'Warranty until': "Garantie jusqu'au",
    'Powder': "Poudre",
    'Coats': "Couches",
    'Part %(number)s': "Pièce %(number)s",

    # Quotes
    'My quotes': "Mes devis",
    'Quote %(number)s': "Devis n° %(number)s",
    'You have no quote yet.': "Vous n'avez pas encore de devis.",
    'Waiting for your approval': "En attente de votre accord",
    'Approved': "Accepté",
    'Done': "Terminé",
    'Details': "Détails",
    'Status': "État",
    'Date': "Date",
    'Lines': "Lignes",
    'Quantity': "Quantité",
    'Amount excl. tax': "Montant HT",
    'Total excl. tax': "Total HT",
    'Tax': "TVA",
    'Total incl. tax': "Total TTC",
    'Total': "Total",
    'Download the quote (PDF)': "Télécharger le devis (PDF)",
    'Your quote is signed. Thank you!': "Votre devis est signé. Merci !",

    # Invoices
    'My invoices': "Mes factures",
    'Invoice %(number)s': "Facture n° %(number)s",
    'Invoice': "Facture",
    'Paid': "Réglée",
    'You have no invoice yet.': "Vous n'avez pas encore de facture.",
    'Due date': "Échéance",
    'Nothing, thank you!': "Rien, merci !",
    'Online payment is not offered by the shop: pay this invoice at the '
    'shop.': (
        "Le paiement en ligne n'est pas proposé par la boutique : réglez "
        "cette facture à la boutique."),
    'Download the invoice (PDF)': "Télécharger la facture (PDF)",
    'Payments': "Paiements",
    'Payment history': "Historique des paiements",
    'Payment': "Paiement",
    'Amount': "Montant",
    'No payment yet.': "Aucun paiement pour l'instant.",

    # Documents and messages
    'My documents': "Mes documents",
    'The shop has not shared any document with you yet.': (
        "La boutique ne vous a encore partagé aucun document."),
    'Download links are valid for 10 minutes: reload the page to get new '
    'ones.': (
        "Les liens de téléchargement sont valables 10 minutes : rechargez "
        "la page pour en obtenir de nouveaux."),
    'My messages': "Mes messages",
    '%(count)s messages': "%(count)s messages",
    '1 message': "1 message",
    'No message yet. Write to the shop from the page of a job.': (
        "Aucun message pour l'instant. Écrivez à la boutique depuis la page "
        "d'une commande."),

    # Profile
    'My details': "Mes coordonnées",
    'Name': "Nom",
    'Sign-in email': "E-mail de connexion",
    'Contact email': "E-mail de contact",
    'Phone': "Téléphone",
    'How should the shop tell you about your jobs?': (
        "Comment la boutique vous informe-t-elle de vos commandes ?"),
    'By email': "Par e-mail",
    'By SMS': "Par SMS",
    'By WhatsApp': "Par WhatsApp",
    'Language': "Langue",
    'Save': "Enregistrer",
    'Your details are saved.': "Vos coordonnées sont enregistrées.",
    'This phone number is not valid.': (
        "Ce numéro de téléphone n'est pas valide."),
    'This email address is not valid.': (
        "Cette adresse e-mail n'est pas valide."),
    'My data': "Mes données",
    'Download everything the shop holds about you (details, jobs, quotes, '
    'invoices, payments, messages, documents) as a JSON file.': (
        "Téléchargez tout ce que la boutique conserve sur vous "
        "(coordonnées, commandes, devis, factures, paiements, messages, "
        "documents) dans un fichier JSON."),
    'Download my data': "Télécharger mes données",
    'Security': "Sécurité",
    'Change my password': "Changer mon mot de passe",
    'Sign out of the portal on every device, this one included.': (
        "Se déconnecter de l'espace client sur tous les appareils, "
        "celui-ci compris."),
    'Sign out everywhere': "Se déconnecter partout",

    # Emails
    '%(shop)s: your sign-in link': "%(shop)s : votre lien de connexion",
    'Hello %(customer)s,\n\nHere is your link to sign in to your customer '
    'area, valid for %(minutes)s minutes and usable once:\n%(link)s\n\n'
    'If you did not ask for it, ignore this email: nobody can sign in '
    'without this link.': (
        "Bonjour %(customer)s,\n\nVoici votre lien de connexion à votre "
        "espace client, valable %(minutes)s minutes et utilisable une "
        "seule fois :\n%(link)s\n\nSi vous ne l'avez pas demandé, ignorez "
        "ce message : personne ne peut se connecter sans ce lien."),
    '%(shop)s: your customer area': "%(shop)s : votre espace client",
    'Hello %(customer)s,\n\n%(shop)s invites you to follow your jobs, '
    'quotes and invoices in your customer area.\n\nChoose your password '
    'with this link, valid for %(days)s days:\n%(link)s\n\nIf you were not '
    'expecting this email, ignore it.': (
        "Bonjour %(customer)s,\n\n%(shop)s vous invite à suivre vos "
        "commandes, devis et factures dans votre espace client.\n\n"
        "Choisissez votre mot de passe avec ce lien, valable %(days)s "
        "jours :\n%(link)s\n\nSi vous n'attendiez pas ce message, "
        "ignorez-le."),
    '%(shop)s: choose a new password': (
        "%(shop)s : choisissez un nouveau mot de passe"),
    'Hello %(customer)s,\n\nChoose a new password for your customer area '
    'with this link, valid for %(minutes)s minutes and usable once:\n'
    '%(link)s\n\nIf you did not ask for it, ignore this email: your '
    'password does not change.': (
        "Bonjour %(customer)s,\n\nChoisissez un nouveau mot de passe pour "
        "votre espace client avec ce lien, valable %(minutes)s minutes et "
        "utilisable une seule fois :\n%(link)s\n\nSi vous ne l'avez pas "
        "demandé, ignorez ce message : votre mot de passe ne change pas."),
    'Choose my password': "Choisir mon mot de passe",
    }
