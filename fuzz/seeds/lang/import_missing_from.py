from nonexistent_pkg.sub import thing
