from supportctl.console import main

main()
