// Floor of a Swift process with Foundation, linked as advisor's release build is
// (-static-stdlib): it prints the working directory's length.
import Foundation

print(FileManager.default.currentDirectoryPath.count)
