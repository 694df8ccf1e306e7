module github.com/example/analyzers-fixture/godomaincheck

go 1.19
