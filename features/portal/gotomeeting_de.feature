# language: de
@ui @portal
Funktionalität: Das GoTo Admin Center auf Deutsch
  Der Teamadministrator sieht im GoTo Admin Center die Benutzer, die Entra bereitgestellt hat, mit
  ihrer Rolle, und die Organisatorplätze von GoToMeeting.

  Szenario: Der Teamadministrator findet einen bereitgestellten Organisator und die Lizenzen
    Angenommen Entra hat "B.Simon" mit der Rolle "Organizer" in GoToMeeting bereitgestellt
    Und der Teamadministrator meldet sich beim GoTo Admin Center an
    Dann die Überschrift lautet "Benutzer"
    Und die Benutzerliste zeigt "b.simon@contoso.example" mit der Rolle "Organisator"
    Wenn der Administrator öffnet "Lizenzen"
    Dann zeigen die Lizenzen 3 belegte und 97 freie von 100 Plätzen, wie GoToMeeting sie zählt
    Wenn der Administrator öffnet "Identitätsanbieter"
    Dann die Überschrift lautet "Identitätsanbieter"
