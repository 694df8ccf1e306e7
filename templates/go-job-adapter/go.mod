module neurons/jobadapter

go 1.19
