# language: de
@ui @portal
Funktionalität: Bereitstellung im Admin Center auf Deutsch: „Verbindung testen“ mit einem einfachen GoTo-Mitglied
  Schritt 7 des Tutorials, wenn die Verbindung nicht möglich ist: der Rat, Teamadministratorberechtigungen
  sicherzustellen und den Schritt Administratoranmeldeinformationen zu wiederholen. (Die Schritte 4 bis 12
  mit einem Teamadministrator geht features/portal/tutorial_de.feature.)

  Szenario: Ein einfaches GoTo-Mitglied autorisiert, aber „Verbindung testen“ gibt den Rat des Tutorials
    Angenommen die GoToMeeting-App wurde aus dem Katalog hinzugefügt
    Und der Administrator hat "Bereitstellung" der App im Microsoft Entra Admin Center geöffnet
    Wenn der Administrator klickt auf "Erste Schritte"
    Und der Administrator wählt "Autorisieren" aus und meldet sich im Popupfenster als einfaches Mitglied bei GoToMeeting an
    Und der Administrator wählt "Verbindung testen" aus
    Dann eine Benachrichtigung meldet "Stellen Sie sicher, dass Ihr GoToMeeting-Konto über Teamadministratorberechtigungen verfügt."
    Und eine Benachrichtigung meldet "Versuchen Sie dann den Schritt Administratoranmeldeinformationen erneut"
