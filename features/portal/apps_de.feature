# language: de
@ui @portal
Funktionalität: Enterprise-Apps im Admin Center auf Deutsch: GoToMeeting aus dem Katalog, Standardzugriff und Organizer
  Der Administrator fügt GoToMeeting aus dem Anwendungskatalog hinzu, weist B.Simon mit „Standardzugriff“ und
  einen weiteren Benutzer mit „Organizer“ zu und entfernt eine Zuweisung.

  Szenario: Der Administrator fügt GoToMeeting hinzu und weist Benutzer mit Standardzugriff und Organizer zu
    Angenommen der Benutzer "B.Simon" ist im Mandanten vorhanden
    Und der Benutzer "M.Bowen" ist im Mandanten vorhanden
    Und der Administrator meldet sich mindestens als Cloudanwendungsadministrator beim Microsoft Entra Admin Center an
    Wenn der Administrator öffnet "Enterprise-Apps"
    Und der Administrator klickt auf "Neue Anwendung"
    Und der Administrator gibt "GoToMeeting" in "Anwendung suchen" ein
    Und der Administrator klickt auf "Suchen"
    Und der Administrator öffnet "GoToMeeting"
    Und der Administrator klickt auf "Erstellen"
    Dann die Überschrift lautet "GoToMeeting | Übersicht"
    Wenn der Administrator öffnet "Benutzer und Gruppen"
    Und der Administrator klickt auf "Benutzer/Gruppe hinzufügen"
    Und der Administrator gibt "Simon" in "Benutzer und Gruppen suchen" ein
    Und der Administrator klickt auf "Suchen"
    Und der Administrator markiert "B.Simon"
    Und der Administrator markiert "Standardzugriff"
    Und der Administrator klickt auf "Zuweisen"
    Dann eine Benachrichtigung meldet "1 Benutzer oder Gruppe wurde GoToMeeting zugewiesen."
    Wenn der Administrator klickt auf "Benutzer/Gruppe hinzufügen"
    Und der Administrator markiert "M.Bowen"
    Und der Administrator markiert "Organizer"
    Und der Administrator klickt auf "Zuweisen"
    Dann die Tabelle "Zugewiesene Benutzer und Gruppen" zeigt "B.Simon" mit der Rolle "Standardzugriff"
    Und die Tabelle "Zugewiesene Benutzer und Gruppen" zeigt "M.Bowen" mit der Rolle "Organizer"
    Und Graph listet die Zuweisungen von "GoToMeeting" als "B.Simon: msiam_access, M.Bowen: Organizer"
    Wenn der Administrator markiert "B.Simon (Standardzugriff) auswählen"
    Und der Administrator klickt auf "Entfernen"
    Und der Administrator klickt auf "Ja"
    Dann eine Benachrichtigung meldet "1 Zuweisung wurde aus GoToMeeting entfernt."
    Und die Tabelle "Zugewiesene Benutzer und Gruppen" hat keine Zeile mit "B.Simon"
    Und Graph listet die Zuweisungen von "GoToMeeting" als "M.Bowen: Organizer"
