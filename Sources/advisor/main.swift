import AdvisorCLI

Advisor.main()
