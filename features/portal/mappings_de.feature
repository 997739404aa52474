# language: de
@ui @portal
Funktionalität: Attributzuordnungen im Admin Center (Schritte 9 und 10 des Tutorials)
  Im Abschnitt Zuordnungen wählt der Administrator „Microsoft Entra-Benutzer mit GoToMeeting
  synchronisieren“ aus, überprüft im Abschnitt Attributzuordnungen die Benutzerattribute und die als
  übereinstimmende Eigenschaften ausgewählten Attribute und übernimmt Änderungen mit „Speichern“.

  Szenario: Attributzuordnungen überprüfen, ein Attribut für den Abgleich hinzunehmen und speichern
    Angenommen die GoToMeeting-App ist für die automatische Bereitstellung eingerichtet und autorisiert
    Und der Administrator hat "Bereitstellung" der App im Microsoft Entra Admin Center geöffnet
    Wenn der Administrator öffnet "Microsoft Entra-Benutzer mit GoToMeeting synchronisieren"
    Dann die Überschrift lautet "GoToMeeting | Attributzuordnung"
    Und die Attributzuordnung "userName" ordnet "userPrincipalName" mit der Rangfolge für Abgleich 1 zu
    Wenn der Administrator klickt auf "emails[type eq "work"].value bearbeiten"
    Und der Administrator legt "Objekte mit diesem Attribut abgleichen" auf "Ja" fest
    Und der Administrator gibt "2" in "Rangfolge für Abgleich" ein
    Und der Administrator klickt auf "OK"
    Dann eine Benachrichtigung meldet "Sie haben nicht gespeicherte Änderungen"
    Und die Attributzuordnung "emails[type eq "work"].value" ordnet "mail" mit der Rangfolge für Abgleich 2 zu
    Wenn der Administrator klickt auf "Speichern"
    Dann eine Benachrichtigung meldet "Die Attributzuordnungen wurden gespeichert."
    Und das Schema des Auftrags ordnet "emails[type eq "work"].value" "mail" mit der Rangfolge für Abgleich 2 zu
