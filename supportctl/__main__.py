from supportctl.cli import main

main()
