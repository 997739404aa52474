# language: de
@ui @portal
Funktionalität: Bereitstellungsprotokolle und Bereitstellungsübersicht im Admin Center auf Deutsch
  Der Administrator filtert die Bereitstellungsprotokolle nach „Übersprungen“ (der Benutzer mit
  Standardzugriff wird NotEffectivelyEntitled übersprungen) und hebt eine Quarantäne mit „Bereitstellung
  neu starten“ auf.

  Grundlage:
    Angenommen GoToMeeting stellt im ersten Zyklus die Benutzer des Tutorials bereit: "B.Simon" als Organizer und "D.Access" mit Standardzugriff

  Szenario: Die Bereitstellungsprotokolle, gefiltert nach „Übersprungen“, zeigen den Benutzer mit Standardzugriff
    Angenommen der Administrator hat "Bereitstellungsprotokolle" der App im Microsoft Entra Admin Center geöffnet
    Wenn der Administrator legt "Status" auf "Übersprungen" fest
    Und der Administrator klickt auf "Anwenden"
    Dann die Protokolle führen "D.Access" mit dem Status "Übersprungen"
    Und die Tabelle "Bereitstellungsprotokolle" hat keine Zeile mit "B.Simon"
    Wenn der Administrator öffnet "D.Access"
    Und der Administrator wählt die Registerkarte "Problembehandlung und Empfehlungen"
    Dann die Registerkarte "Problembehandlung und Empfehlungen" zeigt "NotEffectivelyEntitled"

  Szenario: Eine Quarantäne zeigt ihr Banner, und „Bereitstellung neu starten“ hebt sie auf
    Angenommen GoToMeeting lehnt die Anmeldeinformationen ab, und der nächste Zyklus setzt den Auftrag in Quarantäne
    Und der Administrator hat "Bereitstellung" der App im Microsoft Entra Admin Center geöffnet
    Wenn der Administrator öffnet "Bereitstellungsübersicht anzeigen"
    Dann eine Benachrichtigung meldet "Der Bereitstellungsauftrag befindet sich in Quarantäne"
    Und die Seite zeigt "EncounteredQuarantineException"
    Wenn der Administrator klickt auf "Bereitstellung neu starten"
    Dann eine Benachrichtigung meldet "Die Bereitstellung wurde neu gestartet."
    Und die Seite zeigt "Der Bereitstellungsauftrag befindet sich in Quarantäne" nicht
    Und der Auftrag ist nicht mehr in Quarantäne
