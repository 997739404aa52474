# language: de
@ui @portal
Funktionalität: Enterprise-Apps im Admin Center auf Deutsch: Standardzugriff und Organizer
  Unter „Benutzer und Gruppen“ der GoToMeeting-App (aus dem Katalog hinzugefügt, wie es die Tutorials
  auf den Seiten tun; M.Bowen ist schon mit „Organizer“ zugewiesen) sucht der Administrator B.Simon,
  weist ihm „Standardzugriff“ zu und entfernt die Zuweisung wieder.

  Szenario: Der Administrator sucht B.Simon, weist „Standardzugriff“ zu und entfernt die Zuweisung wieder
    Angenommen der Benutzer "B.Simon" ist im Mandanten vorhanden
    Und der Benutzer "M.Bowen" ist im Mandanten vorhanden
    Und die GoToMeeting-App wurde aus dem Katalog hinzugefügt
    Und "M.Bowen" ist GoToMeeting mit der Rolle "Organizer" zugewiesen
    Und der Administrator hat "Benutzer und Gruppen" der App im Microsoft Entra Admin Center geöffnet
    Wenn der Administrator klickt auf "Benutzer/Gruppe hinzufügen"
    Und der Administrator gibt "Simon" in "Benutzer und Gruppen suchen" ein
    Und der Administrator klickt auf "Suchen"
    Und der Administrator markiert "B.Simon"
    Und der Administrator markiert "Standardzugriff"
    Und der Administrator klickt auf "Zuweisen"
    Dann eine Benachrichtigung meldet "1 Benutzer oder Gruppe wurde GoToMeeting zugewiesen."
    Und die Tabelle "Zugewiesene Benutzer und Gruppen" zeigt "B.Simon" mit der Rolle "Standardzugriff"
    Und die Tabelle "Zugewiesene Benutzer und Gruppen" zeigt "M.Bowen" mit der Rolle "Organizer"
    Und Graph listet die Zuweisungen von "GoToMeeting" als "B.Simon: msiam_access, M.Bowen: Organizer"
    Wenn der Administrator markiert "B.Simon (Standardzugriff) auswählen"
    Und der Administrator klickt auf "Entfernen"
    Und der Administrator klickt auf "Ja"
    Dann eine Benachrichtigung meldet "1 Zuweisung wurde aus GoToMeeting entfernt."
    Und die Tabelle "Zugewiesene Benutzer und Gruppen" hat keine Zeile mit "B.Simon"
    Und Graph listet die Zuweisungen von "GoToMeeting" als "M.Bowen: Organizer"
