from siteopt.cli import main

main()
