# language: de
@ui @portal
Funktionalität: Bereitstellung im Admin Center auf Deutsch: Autorisieren im Popupfenster, Verbindung testen, Speichern
  Die Schritte 4 bis 12 des Tutorials mit seinen Worten: Bereitstellungsmodus Automatisch,
  Administratoranmeldeinformationen, Autorisieren, Verbindung testen, Speichern, Bereitstellungsstatus Ein.

  Szenario: Der Administrator autorisiert als Teamadministrator und schaltet die Bereitstellung ein
    Angenommen die GoToMeeting-App wurde aus dem Katalog hinzugefügt
    Und der Administrator meldet sich mindestens als Cloudanwendungsadministrator beim Microsoft Entra Admin Center an
    Wenn der Administrator öffnet "GoToMeeting"
    Und der Administrator öffnet "Bereitstellung"
    Und der Administrator klickt auf "Erste Schritte"
    Und der Administrator legt "Bereitstellungsmodus" auf "Automatisch" fest
    Dann die Administratoranmeldeinformationen zeigen "Nicht autorisiert"
    Wenn der Administrator wählt "Autorisieren" aus und meldet sich im Popupfenster als Teamadministrator bei GoToMeeting an
    Dann die Administratoranmeldeinformationen zeigen "Autorisiert"
    Wenn der Administrator wählt "Verbindung testen" aus
    Dann eine Benachrichtigung meldet "Die angegebenen Anmeldeinformationen sind zum Aktivieren der Bereitstellung autorisiert."
    Wenn der Administrator wählt "Speichern" aus
    Dann eine Benachrichtigung meldet "Ihre Änderungen an GoToMeeting wurden gespeichert."
    Und die Seite zeigt "Microsoft Entra-Benutzer mit GoToMeeting synchronisieren"
    Wenn der Administrator legt "Bereitstellungsstatus" auf "Ein" fest
    Und der Administrator wählt "Speichern" aus
    Dann eine Benachrichtigung meldet "Ihre Änderungen an GoToMeeting wurden gespeichert."
    Und die Seite zeigt "Synchronisierungsdetails"
    Und der Zeitplan des Bereitstellungsauftrags ist "Active"

  Szenario: Ein einfaches GoTo-Mitglied autorisiert, aber „Verbindung testen“ gibt den Rat des Tutorials
    Angenommen die GoToMeeting-App wurde aus dem Katalog hinzugefügt
    Und der Administrator meldet sich mindestens als Cloudanwendungsadministrator beim Microsoft Entra Admin Center an
    Wenn der Administrator öffnet "GoToMeeting"
    Und der Administrator öffnet "Bereitstellung"
    Und der Administrator klickt auf "Erste Schritte"
    Und der Administrator wählt "Autorisieren" aus und meldet sich im Popupfenster als einfaches Mitglied bei GoToMeeting an
    Und der Administrator wählt "Verbindung testen" aus
    Dann eine Benachrichtigung meldet "Stellen Sie sicher, dass Ihr GoToMeeting-Konto über Teamadministratorberechtigungen verfügt."
    Und eine Benachrichtigung meldet "Versuchen Sie dann den Schritt Administratoranmeldeinformationen erneut"
