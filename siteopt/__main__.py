from siteopt.launch import main

main()
