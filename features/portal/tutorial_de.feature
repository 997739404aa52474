# language: de
@ui @portal
Funktionalität: Das Tutorial „Konfigurieren von GoToMeeting für die automatische Benutzerbereitstellung“ Schritt für Schritt
  Die zwölf nummerierten Schritte von Microsoft Learn, mit den Worten des Tutorials, in einem echten
  Browser: B.Simon wird mit „Standardzugriff“ zugewiesen (eine Rolle, die für Bereitstellungen nicht
  geeignet ist) und übersprungen, M.Bowen mit einer gültigen Rolle kommt in GoToMeeting an.

  Szenario: Die zwölf Schritte des Tutorials im Microsoft Entra Admin Center
    Angenommen der Benutzer "B.Simon" ist im Mandanten vorhanden
    Und der Benutzer "M.Bowen" ist im Mandanten vorhanden
    # 1. Melden Sie sich beim Microsoft Entra Admin Center mindestens als Cloudanwendungsadministrator an.
    Wenn der Administrator meldet sich mindestens als Cloudanwendungsadministrator beim Microsoft Entra Admin Center an
    # 2. Navigieren Sie zu Entra ID > Enterprise-Apps.
    Und der Administrator öffnet "Enterprise-Apps"
    # 3. Wählen Sie Hinzufügen aus, und suchen Sie im Anwendungskatalog nach GoToMeeting. Wählen Sie
    #    „GoToMeeting“ in den Suchergebnissen aus, und fügen Sie es Ihrer Anwendungsliste hinzu.
    Und der Administrator klickt auf "Neue Anwendung"
    Und der Administrator gibt "GoToMeeting" in "Anwendung suchen" ein
    Und der Administrator klickt auf "Suchen"
    Und der Administrator öffnet "GoToMeeting"
    Und der Administrator klickt auf "Erstellen"
    Dann die Überschrift lautet "GoToMeeting | Übersicht"
    Und eine Benachrichtigung meldet "Die Anwendung GoToMeeting wurde erfolgreich hinzugefügt."
    # Zuweisen von Benutzern zu GoToMeeting: eine gültige Benutzerrolle; „Standardzugriff“ ist nicht geeignet.
    Wenn der Administrator öffnet "Benutzer und Gruppen"
    Und der Administrator klickt auf "Benutzer/Gruppe hinzufügen"
    Und der Administrator markiert "B.Simon"
    Und der Administrator markiert "Standardzugriff"
    Und der Administrator klickt auf "Zuweisen"
    Und der Administrator klickt auf "Benutzer/Gruppe hinzufügen"
    Und der Administrator markiert "M.Bowen"
    Und der Administrator markiert "Organizer"
    Und der Administrator klickt auf "Zuweisen"
    Dann die Tabelle "Zugewiesene Benutzer und Gruppen" zeigt "B.Simon" mit der Rolle "Standardzugriff"
    Und die Tabelle "Zugewiesene Benutzer und Gruppen" zeigt "M.Bowen" mit der Rolle "Organizer"
    # 4. Wählen Sie Ihre GoToMeeting-Instanz und dann die Registerkarte Bereitstellung aus.
    Wenn der Administrator öffnet "Bereitstellung"
    Und der Administrator klickt auf "Erste Schritte"
    # 5. Legen Sie den Bereitstellungsmodus auf Automatisch fest.
    Und der Administrator legt "Bereitstellungsmodus" auf "Automatisch" fest
    # 6. Wählen Sie im Abschnitt „Administratoranmeldeinformationen“ die Option „Autorisieren“ aus, und
    #    melden Sie sich in Popupfenstern bei GoToMeeting an, die angezeigt werden.
    Und der Administrator wählt "Autorisieren" aus und meldet sich im Popupfenster als Teamadministrator bei GoToMeeting an
    Dann die Administratoranmeldeinformationen zeigen "Autorisiert"
    # 7. Wählen Sie Verbindung testen aus.
    Wenn der Administrator wählt "Verbindung testen" aus
    Dann eine Benachrichtigung meldet "Die angegebenen Anmeldeinformationen sind zum Aktivieren der Bereitstellung autorisiert."
    # 8. Wählen Sie „Speichern“ aus.
    Wenn der Administrator wählt "Speichern" aus
    Dann eine Benachrichtigung meldet "Ihre Änderungen an GoToMeeting wurden gespeichert."
    # 9. Wählen Sie im Abschnitt Zuordnungen die Option Microsoft Entra-Benutzer mit GoToMeeting synchronisieren aus.
    Wenn der Administrator öffnet "Microsoft Entra-Benutzer mit GoToMeeting synchronisieren"
    # 10. Überprüfen Sie im Abschnitt Attributzuordnungen die Benutzerattribute und die übereinstimmenden
    #     Eigenschaften. Wählen Sie die Schaltfläche Speichern, um alle Änderungen zu übernehmen.
    Dann die Überschrift lautet "GoToMeeting | Attributzuordnung"
    Und die Attributzuordnung "userName" ordnet "userPrincipalName" mit der Rangfolge für Abgleich 1 zu
    Wenn der Administrator klickt auf "Speichern"
    Und der Administrator öffnet "Bereitstellung"
    # 11. Ändern Sie den Bereitstellungsstatus im Abschnitt Einstellungen zu Ein.
    Und der Administrator legt "Bereitstellungsstatus" auf "Ein" fest
    # 12. Wählen Sie „Speichern“ aus.
    Und der Administrator wählt "Speichern" aus
    Dann eine Benachrichtigung meldet "Ihre Änderungen an GoToMeeting wurden gespeichert."
    Und die Seite zeigt "Synchronisierungsdetails"
    # Dadurch wird die Erstsynchronisierung gestartet; sie ist im Abschnitt Synchronisierungsdetails zu verfolgen.
    Wenn 0 virtuelle Minuten vergehen
    Und der Administrator öffnet "Bereitstellungsprotokolle"
    Dann die Protokolle führen "M.Bowen" mit dem Status "Erfolg"
    Und die Protokolle führen "B.Simon" mit dem Status "Übersprungen"
    Wenn der Administrator öffnet "B.Simon"
    Und der Administrator wählt die Registerkarte "Problembehandlung und Empfehlungen"
    Dann die Registerkarte "Problembehandlung und Empfehlungen" zeigt "NotEffectivelyEntitled"
    Und GoToMeeting hat den Benutzer "m.bowen@contoso.example" mit der Rolle "organizer"
    Und GoToMeeting hat keinen Benutzer "b.simon@contoso.example"
